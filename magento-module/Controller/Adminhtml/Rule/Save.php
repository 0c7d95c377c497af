<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Rule;

use Cronkeeper\Scheduler\Model\Alert\AlertRuleForm;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\ViewModel\RuleEdit;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\App\Request\DataPersistorInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Saves the alert rule form (`upsertAlertRule`). Saved: back to Alerts with a success message.
 * Refused: the service's message (it names the field) and back to the form with what was typed.
 *
 * Renaming is a new rule: the old one is deleted only after the new one was accepted.
 */
class Save extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    public function __construct(
        Context $context,
        private readonly AlertRuleForm $form,
        private readonly DataPersistorInterface $dataPersistor
    ) {
        parent::__construct($context);
    }

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT);
        $params = $this->getRequest()->getParams();
        $original = trim((string)($params['original_name'] ?? ''));
        try {
            $saved = $this->form->save($params);
            if ($original !== '' && $original !== $saved['name']) {
                $this->form->delete($original);
            }
            $this->dataPersistor->clear(RuleEdit::PERSISTED_FORM);
            $this->messageManager->addSuccessMessage(__('Alert rule %1 saved.', $saved['name']));
            return $redirect->setPath('*/alert/index');
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
            $this->dataPersistor->set(RuleEdit::PERSISTED_FORM, ['original_name' => $original] + $params);
            return $redirect->setPath('*/*/edit', $original === '' ? [] : ['name' => $original]);
        }
    }
}
